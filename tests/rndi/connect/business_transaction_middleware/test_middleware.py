import pytest
from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transaction_middleware import make_middleware_callstack


def recorder(name, calls):
    def middleware(request, next):
        calls.append(f"{name}:before")
        response = next(request) if next else BackgroundResponse.skip(name)
        calls.append(f"{name}:after")
        return response

    return middleware


def test_first_middleware_is_outermost_and_transaction_innermost():
    calls = []

    def transaction(request):
        calls.append("transaction")
        return BackgroundResponse.done()

    stack = make_middleware_callstack([recorder("a", calls), recorder("b", calls)], transaction)
    assert stack({}).status == "success"
    assert calls == ["a:before", "b:before", "transaction", "b:after", "a:after"]


def test_without_transaction_the_last_middleware_gets_none():
    calls = []
    response = make_middleware_callstack([recorder("a", calls), recorder("last", calls)])({})
    assert (response.status, response.output) == ("skip", "last")


def test_without_transaction_a_last_callable_of_the_request_alone_is_the_innermost():
    calls = []

    def transaction(request):
        calls.append("transaction")
        return BackgroundResponse.done()

    response = make_middleware_callstack([recorder("a", calls), transaction])({})
    assert response.status == "success"
    assert calls == ["a:before", "transaction", "a:after"]
    assert make_middleware_callstack([transaction])({}).status == "success"


def test_class_middleware_with_call_is_supported_and_can_short_circuit():
    class Gate:
        def __call__(self, request, next):
            return BackgroundResponse.skip("gated") if request.get("closed") else next(request)

    stack = make_middleware_callstack([Gate()], lambda request: BackgroundResponse.done())
    assert stack({"closed": True}).output == "gated"
    assert stack({}).status == "success"


def test_transaction_alone_is_returned_as_is():
    def transaction(request):
        return BackgroundResponse.done()

    assert make_middleware_callstack([], transaction) is transaction


def test_non_callables_are_rejected_with_their_position():
    with pytest.raises(TypeError, match=r"middlewares\[1\] must be callable"):
        make_middleware_callstack([recorder("a", []), "nope"])
    with pytest.raises(TypeError, match="transaction must be callable"):
        make_middleware_callstack([], 42)
    with pytest.raises(TypeError, match="Nothing to call"):
        make_middleware_callstack([])


@pytest.mark.parametrize("arguments", [(["the-api-key"],), ([], "the-api-key")])
def test_what_is_not_callable_is_named_by_its_type_never_its_value(arguments):
    with pytest.raises(TypeError, match="got a str") as refused:
        make_middleware_callstack(*arguments)
    assert "the-api-key" not in str(refused.value)
