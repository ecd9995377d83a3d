import importlib.metadata

import alfred_reference_api


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert alfred_reference_api.__all__ == sorted(alfred_reference_api.__all__)
    for name in alfred_reference_api.__all__:
        assert getattr(alfred_reference_api, name) is not None


def test_version_comes_from_the_installed_metadata() -> None:
    assert alfred_reference_api.__version__ == importlib.metadata.version("alfred-reference-api")
