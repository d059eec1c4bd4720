from rndi.connect.api_facades.tier_configurations.mixins import WithTierConfigurationFacade

__all__ = ["WithTierConfigurationFacade"]
