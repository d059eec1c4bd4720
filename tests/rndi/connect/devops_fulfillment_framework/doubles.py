"""Test doubles that several of this folder's tests share."""

from connect.eaas.core.responses import BackgroundResponse

from rndi.connect.business_transactions import BackgroundTransaction


class Done(BackgroundTransaction):
    """Applies to every request, answers ``done``; its ``compensate`` answers ``fail``."""

    def should_execute(self, request):
        return True

    def execute(self, request):
        return BackgroundResponse.done()

    def compensate(self, request, e):
        return BackgroundResponse.fail()
