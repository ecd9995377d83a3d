import importlib.metadata

import alfred_automation


def test_all_is_sorted_and_every_name_resolves() -> None:
    assert alfred_automation.__all__ == sorted(alfred_automation.__all__)
    for name in alfred_automation.__all__:
        assert getattr(alfred_automation, name) is not None, name


def test_errors_share_the_package_root() -> None:
    root = next(
        getattr(alfred_automation, n)
        for n in alfred_automation.__all__
        if n.endswith("Error") and n != "ConfigurationError"
    )
    assert issubclass(alfred_automation.ConfigurationError, root)


def test_version_comes_from_the_installed_metadata() -> None:
    assert alfred_automation.__version__ == importlib.metadata.version("alfred-automation")


def test_every_error_is_in_the_errors_docstring_tree() -> None:
    tree = alfred_automation.errors.__doc__ or ""
    errors = [
        getattr(alfred_automation, n) for n in alfred_automation.__all__ if n.endswith("Error")
    ]
    assert len(errors) >= 6
    for error in errors:
        assert issubclass(error, alfred_automation.AutomationError)
        assert error.__name__ in tree, error
