"""Request(Request(...)): a request object is taken where its dict is, as the facades
take either form."""

from rndi.connect.business_objects import Request


def test_a_request_of_a_request_is_a_view_of_the_same_dict(asset_purchase):
    inner = Request(asset_purchase)
    outer = Request(inner)
    assert outer.raw() is asset_purchase
    assert (outer.id(), outer.type()) == (asset_purchase["id"], "purchase")
    outer.with_status("approved")
    assert inner.status() == "approved" and asset_purchase["status"] == "approved"
