import importlib.metadata

import alfred_crm_core


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert alfred_crm_core.__all__ == sorted(alfred_crm_core.__all__)
    for name in alfred_crm_core.__all__:
        assert getattr(alfred_crm_core, name) is not None, name


def test_public_callables_and_classes_have_docstrings() -> None:
    for name in alfred_crm_core.__all__:
        obj = getattr(alfred_crm_core, name)
        if callable(obj):
            assert obj.__doc__, f"{name} has no docstring"


def test_version_comes_from_the_installed_metadata() -> None:
    assert alfred_crm_core.__version__ == importlib.metadata.version("alfred-crm-core")
