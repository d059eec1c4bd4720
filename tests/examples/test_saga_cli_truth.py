"""rndi-saga tells the truth: a flow that cannot be built is a problem, a base says it is
one, a wrong answer of middlewares() is reported, and whatever cannot be checked is one
line on stderr and exit 2, never a traceback."""

import io
import os
import subprocess
import sys

from rndi.connect.devops_fulfillment_framework.cli import main
from tests.examples.test_saga_cli import run

MISSPELLED = """
    class PurchaseSaga(Saga):
        def transaction(self, request):
            return [Approve]
"""


def test_a_saga_abstract_by_a_misspelling_is_a_problem_exit_1_named_or_not(capsys,
                                                                          saga_module):
    module = saga_module(MISSPELLED)
    expected = ("invalid: PurchaseSaga cannot be built: it does not define transactions() "
                "(it defines transaction() for transactions(): a misspelling?), so make() "
                "fails on every event. Define it; a base class meant for subclasses only "
                "says so with __abstract__ = True in its body.")
    code, out, err = run(capsys, "check", f"{module}:PurchaseSaga")
    assert (code, err) == (1, "")
    assert out.splitlines() == [expected]
    code, out, err = run(capsys, "check", module)
    assert (code, err) == (1, "")
    assert out.splitlines() == [f"PurchaseSaga: {expected}"]
    code, out, _ = run(capsys, "explain", f"{module}:PurchaseSaga")
    assert code == 0 and out.endswith(f"\n  {expected}\n")


def test_check_itself_reports_the_flow_that_cannot_be_built(saga_module):
    module = __import__(saga_module(MISSPELLED))
    (problem,) = module.PurchaseSaga.check({})
    assert (problem.kind, problem.name, problem.path) == ("invalid", "PurchaseSaga",
                                                          ("PurchaseSaga",))


BASES = """
    from abc import abstractmethod


    class MarkedBase(Saga):
        __abstract__ = True

        def middlewares(self, request):
            return []


    class DeclaringBase(Saga):
        @abstractmethod
        def vendor(self):
            ...


    class PurchaseSaga(MarkedBase):
        def transactions(self, request):
            return [Approve]
"""


def test_a_base_is_recognised_by_its_marker_or_its_own_abstract_methods(capsys, saga_module):
    module = saga_module(BASES)
    code, out, err = run(capsys, "check", module)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "MarkedBase: skipped, an abstract base (it does not define transactions()).",
        "DeclaringBase: skipped, an abstract base (it does not define transactions(), "
        "vendor()).",
        "PurchaseSaga: the wiring is complete (1 sample request checked).",
    ]
    # the marker is not inherited: PurchaseSaga above was checked
    for base in ("MarkedBase", "DeclaringBase"):
        code, out, err = run(capsys, "check", f"{module}:{base}")
        assert (code, out) == (2, "")
        assert err.startswith(f"rndi-saga: Cannot check {base}: it is an abstract base")
    (problem,) = __import__(module).MarkedBase.check({})
    assert problem.message == ("MarkedBase is an abstract base: it does not define "
                               "transactions(), so it cannot be built; check a subclass "
                               "that does.")


def test_a_marked_base_that_could_be_built_is_skipped_in_a_module_and_checked_by_name(
        capsys, saga_module):
    module = saga_module("""
        class DefaultSaga(Saga):
            __abstract__ = True

            def transactions(self, request):
                return [Approve]
    """)
    assert run(capsys, "check", module)[1] == ("DefaultSaga: skipped, a base "
                                               "(__abstract__ = True).\n")
    code, out, _ = run(capsys, "check", f"{module}:DefaultSaga")
    assert (code, out) == (0, "DefaultSaga: the wiring is complete (1 sample request "
                              "checked).\n")


def test_middlewares_answering_a_class_is_a_reported_problem(capsys, saga_module):
    module = saga_module("""
        from rndi.connect.devops_fulfillment_framework import RequestLease

        class Leased(Saga):
            def middlewares(self, request):
                return RequestLease

            def transactions(self, request):
                return "Approve"
    """)
    code, out, err = run(capsys, "check", f"{module}:Leased")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "invalid: Leased.middlewares(request 'PR-0000-0000-0000-001') answered the class "
        "RequestLease, not a list; write return [RequestLease]",
        "invalid: Leased.transactions(request 'PR-0000-0000-0000-001') answered a str, not a "
        "list of entries",
    ]
    code, out, _ = run(capsys, "explain", f"{module}:Leased")
    assert code == 0
    assert "  middlewares()\n    answered the class RequestLease, not a list" in out


def test_a_module_raising_a_base_exception_at_import_is_exit_2(capsys, saga_module):
    module = saga_module("""
        class Abort(BaseException):
            pass

        raise Abort("the settings are not there")
    """)
    for spec in (module, f"{module}:PurchaseSaga"):
        code, out, err = run(capsys, "check", spec)
        assert (code, out) == (2, "")
        assert err.startswith(f"rndi-saga: Cannot import '{module}': Abort (raised at "
                              f"{module}.py:")
        assert err.endswith("the settings are not there\n") and len(err.splitlines()) == 1


def test_saga_code_raising_a_base_exception_is_exit_2(capsys, saga_module):
    module = saga_module("""
        class Abort(BaseException):
            pass

        class Checked(Saga):
            def transactions(self, request):
                return [Approve]

            def middlewares(self, request):
                raise Abort("no vendor")
    """)
    code, out, err = run(capsys, "check", f"{module}:Checked")
    assert (code, out) == (2, "")
    assert err.startswith(f"rndi-saga: Cannot check Checked: Abort (raised at {module}.py:")
    assert err.endswith(", in middlewares): no vendor\n")


def test_a_module_level_object_whose_attributes_raise_is_not_a_flow(capsys, saga_module):
    module = saga_module("""
        class LazySettings:
            def __getattribute__(self, name):
                raise RuntimeError("settings are not configured")

        settings = LazySettings()

        class PurchaseSaga(Saga):
            def transactions(self, request):
                return [Approve]
    """)
    code, out, err = run(capsys, "check", module)
    assert (code, out, err) == (0, "PurchaseSaga: the wiring is complete (1 sample request "
                                   "checked).\n", "")
    code, out, err = run(capsys, "check", f"{module}:settings")
    assert (code, out) == (2, "")
    assert err == (f"rndi-saga: {module}:settings must name a Saga, ValidationFlow, "
                   "InteractiveFlow or ScheduledFlow subclass, but it is a LazySettings.\n")


def test_a_single_flow_of_a_module_is_named_in_every_line(capsys, saga_module):
    module = saga_module("""
        class Needing(Approve):
            def __init__(self, vendor_url, vendor_key):
                pass

        class PurchaseSaga(Saga):
            def transactions(self, request):
                return [Needing]
    """)
    code, out, _ = run(capsys, "check", module)
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("PurchaseSaga: missing: Needing -> vendor_") for line in lines)


def test_explain_into_a_pipe_closed_early_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "piped.py").write_text(
        "from rndi.connect.devops_fulfillment_framework import Saga\n\n\n"
        "class PipedSaga(Saga):\n"
        "    def transactions(self, request):\n"
        "        return []\n")
    reading, writing = os.pipe()
    os.close(reading)  # the reader is gone before anything is written: like `| head -0`
    try:
        result = subprocess.run(
            [sys.executable, "-m", "rndi.connect.devops_fulfillment_framework", "explain",
             "piped:PipedSaga"], cwd=tmp_path, stdout=writing, stderr=subprocess.PIPE,
            text=True, timeout=300, check=False)
    finally:
        os.close(writing)
    assert result.returncode == 2
    assert result.stderr == ("rndi-saga: the output was closed before all of it was "
                             "written.\n")


class ClosedPipe(io.StringIO):
    """A standard output whose reader is gone, with no file descriptor behind it."""

    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")


def test_output_closed_in_process_is_one_line_on_stderr_and_exit_2(capsys, saga_module,
                                                                  monkeypatch):
    module = saga_module("""
        class Generating(Saga):
            def transactions(self, request):
                return (entry for entry in [Approve])
    """)
    assert run(capsys, "check", f"{module}:Generating")[0] == 0  # a generator is a list too
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["explain", f"{module}:Generating"]) == 2
    assert capsys.readouterr().err == ("rndi-saga: the output was closed before all of it "
                                       "was written.\n")


def test_doctor_into_a_pipe_closed_early_is_one_line_and_not_a_traceback(tmp_path):
    reading, writing = os.pipe()
    os.close(reading)  # `rndi-saga doctor | head -0`
    try:
        result = subprocess.run(
            [sys.executable, "-m", "rndi.connect.devops_fulfillment_framework", "doctor"],
            cwd=tmp_path, stdout=writing, stderr=subprocess.PIPE, text=True, timeout=300,
            check=False)
    finally:
        os.close(writing)
    assert result.returncode == 2
    assert result.stderr == ("rndi-saga: the output was closed before all of it was "
                             "written.\n")


def test_new_and_doctor_with_their_output_closed_say_so_in_one_line(capsys, tmp_path,
                                                                    monkeypatch):
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["doctor"]) == 2
    assert main(["new", "acme-extension", "--directory", str(tmp_path / "acme")]) == 2
    assert capsys.readouterr().err == 2 * ("rndi-saga: the output was closed before all "
                                           "of it was written.\n")
    assert (tmp_path / "acme" / "pyproject.toml").is_file()  # written before the output
