import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import (
    BackgroundTransaction,
    InvalidTransaction,
    TransactionException,
    TransactionNotSelected,
    TransactionSelector,
    TupleBackgroundTransaction,
    prepare,
    select,
)


class Approve(BackgroundTransaction):
    def __init__(self, applies=True, error=None):
        self.applies = applies
        self.error = error
        self.compensated = None

    def should_execute(self, request):
        return self.applies

    def execute(self, request):
        if self.error:
            raise self.error
        return BackgroundResponse.done()

    def compensate(self, request, e):
        self.compensated = e
        return BackgroundResponse.fail(f"compensated: {e}")


def test_select_returns_the_first_transaction_that_applies():
    skipped, chosen, later = Approve(False), Approve(True), Approve(True)
    assert select([skipped, chosen, later], {}) is chosen


def test_select_skips_falsy_entries_and_adapts_tuples():
    chosen = select([None, (), ("tuple", lambda r: r["go"], lambda r: BackgroundResponse.done())],
                    {"go": True})
    assert isinstance(chosen, TupleBackgroundTransaction)
    assert chosen.name() == "tuple"


def test_select_consumes_a_lazy_iterable_only_up_to_the_selected_entry():
    built = []

    def lazy():
        for applies in (False, True, True):
            built.append(applies)
            yield Approve(applies)

    select(lazy(), {})
    assert built == [False, True]


def test_select_without_a_match_names_request_and_candidates():
    with pytest.raises(TransactionNotSelected) as error:
        select([Approve(False)], {"id": "PR-1", "type": "purchase", "status": "pending"})
    message = str(error.value)
    assert "PR-1" in message
    assert "purchase" in message
    assert "Approve" in message


def test_select_rejects_entries_that_are_not_transactions():
    with pytest.raises(InvalidTransaction, match="BackgroundTransaction instance or a tuple"):
        select([object()], {})
    with pytest.raises(InvalidTransaction):
        select([("only", "two")], {})


def test_an_invalid_entry_is_named_by_its_type_never_its_value():
    secret = "sk-live-S3cretPW"
    cases = [
        (lambda: select([{"api_key": secret}], {}), "got a dict; list transactions"),
        (lambda: select([("only", secret)], {}), "got a tuple of 2 items"),
        (lambda: TupleBackgroundTransaction("t", (secret,), lambda r: None),
         "'t': the predicate must be callable, got a tuple of 1 items"),
        (lambda: select([("t", lambda r: True, secret)], {}),
         "the execution must be callable, got a str"),
        (lambda: TupleBackgroundTransaction("t", bool, bool, {"token": secret}),
         "compensation must be callable or None, got a dict"),
        (lambda: TupleBackgroundTransaction({"name": secret}, 1, bool),
         "The transaction named by a dict: the predicate must be callable, got an int"),
    ]
    for raising, message in cases:
        with pytest.raises(InvalidTransaction) as error:
            raising()
        assert message in str(error.value)
        assert "S3cretPW" not in str(error.value)


def test_tuple_transaction_checks_its_callables():
    with pytest.raises(InvalidTransaction, match="'t': the predicate must be callable"):
        TupleBackgroundTransaction("t", True, lambda r: None)
    with pytest.raises(InvalidTransaction, match="compensation must be callable"):
        TupleBackgroundTransaction("t", lambda r: True, lambda r: None, "no")


def test_tuple_transaction_without_compensation_reraises():
    def explode(request):
        raise ValueError("boom")

    run = prepare(TupleBackgroundTransaction("t", lambda r: True, explode))
    with pytest.raises(ValueError, match="boom"):
        run({})


def test_tuple_transaction_with_compensation_answers_with_it():
    def explode(request):
        raise ValueError("boom")

    transaction = TupleBackgroundTransaction(
        "t", lambda r: True, explode, lambda r, e: BackgroundResponse.fail(str(e)))
    response = prepare(transaction)({})
    assert (response.status, response.output) == ("fail", "boom")


def test_prepare_returns_compensation_on_error():
    error = RuntimeError("vendor down")
    transaction = Approve(error=error)
    response = prepare(transaction)({"id": "PR-1"})
    assert response.status == "fail"
    assert response.output == "compensated: vendor down"
    assert transaction.compensated is error


def test_prepare_returns_execute_result_when_it_succeeds():
    assert prepare(Approve())({}).status == "success"


def test_selector_selects_and_prepares():
    selector = TransactionSelector([Approve(False), Approve(error=KeyError("x"))])
    assert selector.select({}).__call__({}).status == "fail"


def test_default_name_is_the_class_name():
    assert Approve().name() == "Approve"


def test_exception_factories_build_the_subclasses():
    assert isinstance(TransactionException.invalid("m"), InvalidTransaction)
    assert isinstance(TransactionException.not_selected("m"), TransactionNotSelected)
    assert str(TransactionException.not_selected("why")) == "why"
