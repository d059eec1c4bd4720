from rndi.connect.api_facades.assets.mixins import WithAssetFacade

__all__ = ["WithAssetFacade"]
