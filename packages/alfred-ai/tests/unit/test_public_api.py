import importlib.metadata

import alfred_ai


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert alfred_ai.__all__ == sorted(alfred_ai.__all__)
    for name in alfred_ai.__all__:
        assert getattr(alfred_ai, name) is not None, name


def test_errors_share_the_package_root() -> None:
    root = next(
        getattr(alfred_ai, n)
        for n in alfred_ai.__all__
        if n.endswith("Error") and n != "ConfigurationError"
    )
    assert issubclass(alfred_ai.ConfigurationError, root)


def test_version_comes_from_the_installed_metadata() -> None:
    assert alfred_ai.__version__ == importlib.metadata.version("alfred-ai")
