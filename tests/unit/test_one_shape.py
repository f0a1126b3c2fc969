"""One shape everywhere (issue 16): every resource the API reads by id answers an ``id``,
and every list is ``{items, next_cursor}`` — checked on the OpenAPI document, i.e. on every
route the services declare."""

from __future__ import annotations

from services.runtime.http.openapi import build_openapi
from services.tools.main import all_modules

DOC = build_openapi([r for m in all_modules() for r in m.api.routes])
SCHEMAS = DOC["components"]["schemas"]


def ok_schema(op: dict) -> dict | None:
    for code, resp in op["responses"].items():
        if code.startswith("2"):
            ref = resp.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
            return SCHEMAS[ref.split("/")[-1]] if ref else None
    return None


def test_every_resource_read_by_id_has_an_id():
    missing = []
    for path, ops in DOC["paths"].items():
        if not path.endswith("/{id}") or "get" not in ops:
            continue
        schema = ok_schema(ops["get"])
        if schema is not None and "id" not in schema.get("required", []):
            missing.append(path)
    assert missing == []


# Justified exceptions, as the README documents them.
NOT_A_LIST = {"/v1/patents/imports/{id}": "an import job, its per-line errors paged as errors + next_cursor"}


def test_every_list_is_items_and_next_cursor():
    odd = []
    for path, ops in DOC["paths"].items():
        op = ops.get("get")
        if op is None or not any(p["name"] == "cursor" for p in op.get("parameters", [])):
            continue
        props = (ok_schema(op) or {}).get("properties", {})
        if not {"items", "next_cursor"} <= set(props) and path not in NOT_A_LIST:
            odd.append(path)
    assert odd == []


def test_the_openapi_document_is_valid_and_clean():
    from openapi_spec_validator import validate

    validate(DOC)  # OpenAPI 3.1, by the reference validator
    assert [n for n in SCHEMAS if "__" in n] == []  # no module paths as class names
    imports = DOC["paths"]["/v1/patents/imports"]["post"]["requestBody"]["content"]
    assert list(imports) == ["application/x-ndjson"]
    undocumented = [(method, path, code) for path, ops in DOC["paths"].items() for method, op in ops.items()
                    for code, resp in op["responses"].items()
                    if code.startswith("2") and code != "204" and not resp.get("content")]
    assert undocumented == []  # every answer with a body says what it is


def test_the_main_commands_carry_an_example_that_their_own_model_accepts():
    from services.auctions.models import AuctionCreate, BidCreate
    from services.deals.models import DealCreate
    from services.financing.models import PledgeCreate
    from services.licences.models import DeclarationCreate
    from services.listings.commands import PatentCreate
    from services.listings.models import ListingCreate
    from services.platform.api import OrgCreate

    for model in (OrgCreate, PatentCreate, ListingCreate, AuctionCreate, BidCreate, DeclarationCreate, DealCreate,
                  PledgeCreate):
        (example,) = SCHEMAS[model.__name__]["examples"]
        model.model_validate(example)  # an example that the API would refuse would mislead
