"""rndi-saga at its edges: a wrong answer of middlewares() of any shape, a problem about a
parameter named like a secret printed as it is, the problem kinds in --help, and what
cannot be checked (an interrupt raised at import, a syntax error, no standard output) as
one line and exit 2."""

import subprocess
import sys

import pytest

from rndi.connect.devops_fulfillment_framework.cli import main
from tests.examples.test_saga_cli import run


@pytest.mark.parametrize(("answer", "message"), [
    ("None", "answered None, not a list (is a return missing?); answer [] for no "
             "middleware"),
    ("(entry for entry in [])", "answered a generator, not a list; answer a list, "
                                "outermost first"),
    ("''", "answered a str, not a list of entries"),
    ("{RequestLease}", "answered a set, not a list: a set has no order, and middlewares "
                       "run outermost first"),
    ("{}", "answered a dict, not a list of entries"),
], ids=["none", "generator", "empty-string", "set", "dict"])
def test_middlewares_answering_anything_but_a_list_is_a_problem_exit_1(capsys, saga_module,
                                                                       answer, message):
    module = saga_module(f"""
        from rndi.connect.devops_fulfillment_framework import RequestLease

        class Leased(Saga):
            def middlewares(self, request):
                return {answer}

            def transactions(self, request):
                return [Approve]
    """)
    code, out, err = run(capsys, "check", f"{module}:Leased")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"invalid: Leased.middlewares(request 'PR-0000-0000-0000-001') {message}"]


def test_middlewares_answering_a_tuple_or_an_empty_list_is_fine(capsys, saga_module):
    module = saga_module("""
        class Tupled(Saga):
            def middlewares(self, request):
                return ()

            def transactions(self, request):
                return [Approve]

        class Listed(Tupled):
            def middlewares(self, request):
                return []
    """)
    code, out, _ = run(capsys, "check", module)
    assert (code, out.splitlines()) == (0, [
        "Tupled: the wiring is complete (1 sample request checked).",
        "Listed: the wiring is complete (1 sample request checked)."])


def test_a_missing_parameter_named_like_a_secret_is_reported_as_it_is(capsys, saga_module):
    module = saga_module("""
        class Keyed(Approve):
            def __init__(self, api_key, vendor_token):
                pass

        class KeyedSaga(Saga):
            def transactions(self, request):
                return [Keyed]
    """)
    code, out, _ = run(capsys, "check", f"{module}:KeyedSaga")
    assert code == 1
    assert out.splitlines() == [
        "missing: Keyed -> api_key: nothing is bound to 'api_key'. Bind it in a provider, "
        "set the config key 'API_KEY', or give the parameter a default.",
        "missing: Keyed -> vendor_token: nothing is bound to 'vendor_token'. Bind it in a "
        "provider, set the config key 'VENDOR_TOKEN', or give the parameter a default.",
    ]


def test_what_saga_code_raises_is_still_masked(capsys, saga_module):
    module = saga_module("""
        class Raising(Saga):
            def transactions(self, request):
                raise RuntimeError("api_key: sk-live-S3cretPW")
    """)
    code, out, _ = run(capsys, "check", f"{module}:Raising")  # run() asserts it masked
    assert code == 1
    assert out.endswith("raised RuntimeError: api_key: *********\n")


def test_check_help_lists_every_problem_kind(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for kind in ("missing", "cycle", "duplicate", "invalid", "async", "unsafe"):
        assert f"{kind}:" in out, kind
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "missing, cycle, duplicate, invalid, async or unsafe" in out


def test_the_module_docstring_lists_every_problem_kind():
    from rndi.connect.devops_fulfillment_framework import cli

    text = " ".join((cli.__doc__ or "").split())
    for kind in ("missing", "cycle", "duplicate", "invalid", "async", "unsafe"):
        assert f"``{kind}``" in text, kind


def test_a_keyboard_interrupt_raised_at_import_is_one_line_and_exit_2(capsys, saga_module):
    module = saga_module("""
        raise KeyboardInterrupt
    """)
    for spec in (module, f"{module}:PurchaseSaga"):
        code, out, err = run(capsys, "check", spec)
        assert (code, out) == (2, "")
        assert err.startswith(f"rndi-saga: Cannot import '{module}': KeyboardInterrupt "
                              f"(raised at {module}.py:")
        assert len(err.splitlines()) == 1


def test_a_keyboard_interrupt_raised_by_saga_code_is_one_line(capsys, saga_module):
    module = saga_module("""
        class Interrupted(Saga):
            def transactions(self, request):
                raise KeyboardInterrupt
    """)
    code, out, err = run(capsys, "check", f"{module}:Interrupted")
    assert (code, out) == (2, "")
    assert err.startswith("rndi-saga: Cannot check Interrupted: KeyboardInterrupt (raised "
                          f"at {module}.py:")
    assert err.endswith(", in transactions)\n")


def test_a_syntax_error_names_the_file_and_line_where_it_is(capsys, saga_module):
    module = saga_module("""
        def broken(:
            pass
    """)
    code, out, err = run(capsys, "check", module)
    assert (code, out) == (2, "")
    assert err.startswith(f"rndi-saga: Cannot import '{module}': SyntaxError (at {module}.py:")
    assert "frozen" not in err and len(err.splitlines()) == 1


def test_no_standard_output_at_all_is_one_line_and_exit_2(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.close(1); sys.stdout = None; "
         "from rndi.connect.devops_fulfillment_framework.cli import main; "
         "sys.exit(main(['doctor']))"],
        cwd=tmp_path, stderr=subprocess.PIPE, text=True, timeout=300, check=False)
    assert result.returncode == 2
    assert result.stderr == "rndi-saga: there is no standard output to write to.\n"
