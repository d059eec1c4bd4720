"""Small functions over Connect JSON: find by id, deep merge, build a parameter or a tier."""

import copy
import random
import uuid
from typing import Any, Dict, List, Optional, Sequence, Union

from rndi.connect.business_objects.request_types import (
    ASSET,
    ASSET_REQUEST_TYPES,
    TIER_CONFIG,
    TIER_CONFIG_REQUEST_TYPES,
)

# Which request types each model has (every type connect-eaas-core has an event for), and
# the member that carries the model's object. An ``adjustment`` exists for both: the
# member the request carries decides.
REQUEST_MODELS = (
    (ASSET, "asset", frozenset(ASSET_REQUEST_TYPES)),
    (TIER_CONFIG, "configuration", frozenset(TIER_CONFIG_REQUEST_TYPES)),
)


def find_by_id(elements: Optional[List[Dict[str, Any]]], element_id: str,
               default: Any = None) -> Any:
    """The first dict of ``elements`` whose ``id`` is ``element_id``, else ``default``."""
    for element in elements or ():
        if isinstance(element, dict) and element.get("id") == element_id:
            return element
    return default


def merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    """A new dict: ``override`` merged into a copy of ``base``. Nested dicts merge, lists
    are concatenated (base first), anything else is replaced. Neither input changes."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merged[key] = merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            current.extend(copy.deepcopy(value))
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def make_param(param_id: str, value: Union[str, Dict[str, Any], List[Any], None] = None,
               value_error: Optional[str] = None, value_type: Optional[str] = None,
               title: Optional[str] = None, description: Optional[str] = None,
               scope: Optional[str] = None, phase: Optional[str] = None) -> Dict[str, Any]:
    """A Connect parameter. Dicts and lists are ``structured_value``, anything else
    ``value``; title and description get placeholders, the type defaults to ``text``."""
    value_key = "structured_value" if isinstance(value, (dict, list)) else "value"
    return {
        "id": param_id,
        value_key: value,
        "value_error": value_error,
        "title": f"Parameter {param_id} title." if title is None else title,
        "description": f"Parameter {param_id} description." if description is None
        else description,
        "type": "text" if value_type is None else value_type,
        "scope": scope,
        "phase": phase,
    }


_COMPANIES = ("Northwind Traders", "Contoso Ltd", "Fabrikam Inc", "Tailspin Toys",
              "Adventure Works", "Wide World Importers", "Litware Inc", "Proseware Inc")
_PEOPLE = (("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"),
           ("Edsger", "Dijkstra"), ("Barbara", "Liskov"), ("Donald", "Knuth"))
_PLACES = (("Barcelona", "Catalonia", "08001", "ES"), ("Lyon", "Rhone", "69001", "FR"),
           ("Austin", "Texas", "73301", "US"), ("Munich", "Bavaria", "80331", "DE"))


def make_tier(tier_type: str = "customer",
              locale: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """A placeholder tier account (no ``id``: Connect assigns it) with random, plausible
    company, address and contact data, for tests and samples.

    ``locale`` is accepted for compatibility; the placeholders are the same for any locale.
    """
    pick = random.Random()  # noqa: S311 (placeholder data, not secrets)
    first_name, last_name = pick.choice(_PEOPLE)
    city, state, postal_code, country = pick.choice(_PLACES)
    company = pick.choice(_COMPANIES)
    domain = company.lower().replace(" ", "") + ".example"
    return {
        "name": company,
        "type": tier_type,
        "external_id": str(pick.randint(1000000, 9999999)),
        "external_uid": str(uuid.UUID(int=pick.getrandbits(128), version=4)),
        "contact_info": {
            "address_line1": f"{pick.randint(100, 999)}, Main Street",
            "address_line2": f"Suite {pick.randint(1, 99)}",
            "city": city,
            "state": state,
            "postal_code": postal_code,
            "country": country,
            "contact": {
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{first_name.lower()}.{last_name.lower()}@{domain}",
                "phone_number": {
                    "country_code": f"+{pick.randint(1, 99)}",
                    "area_code": str(pick.randint(1, 99)),
                    "phone_number": str(pick.randint(1, 999999)),
                    "extension": str(pick.randint(1, 100)),
                },
            },
        },
    }


def request_model(request: Dict[str, Any]) -> str:
    """``'asset'`` or ``'tier-config'``: the model whose member the request carries and
    whose types include the request's type; ``'undefined'`` otherwise."""
    for model, member, types in REQUEST_MODELS:
        if member in request and request.get("type") in types:
            return model
    return "undefined"
