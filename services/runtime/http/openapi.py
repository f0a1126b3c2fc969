"""The OpenAPI 3.1 document, generated from the declared routes and their pydantic models."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from services.runtime.http.api import RouteSpec

_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "format": "uri-reference",
                     "description": "/v1/problems/<rule>: the rule's page, in Chinese and English"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "detail_en": {"type": "string", "description": "with Accept-Language: zh-CN, the English detail"},
            "instance": {"type": "string", "description": "the resource a refusal is recorded on"},
            "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                                                  "properties": {"field": {"type": "string"},
                                                                 "message": {"type": "string"}}}},
        },
    }


def build_openapi(routes: list[RouteSpec], *, title: str = "Patent Supermarket (专利超市)",
                  version: str = "1") -> dict[str, Any]:
    models: set[type[BaseModel]] = set()
    for r in routes:
        models.update(m for m in (r.body, r.response, *(model for _, model in r.also)) if m is not None)
    keyed = [(m, "validation") for m in sorted(models, key=lambda m: m.__name__)]
    refs, defs = models_json_schema(keyed, ref_template="#/components/schemas/{model}")
    schemas = dict(defs.get("$defs", {}))
    schemas["Problem"] = _problem_schema()
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        path = _PARAM.sub(lambda m: "{" + m.group(1) + "}", r.path)
        op: dict[str, Any] = {"tags": [r.service], "summary": r.summary or f"{r.method} {path}",
                              "operationId": f"{r.service}_{r.handler.__name__}"}
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                  for n in _PARAM.findall(r.path)]
        if r.query is not None:
            qschema = r.query.model_json_schema(ref_template="#/components/schemas/{model}")
            required = set(qschema.get("required", []))
            for name, prop in qschema.get("properties", {}).items():
                params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
        if r.method == "POST":
            params.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "schema": {"type": "string", "maxLength": 255},
                           "description": "Replays return the first response; the same key with another body → 422."})
        if r.allow is not None:
            params.append({"name": "On-Behalf-Of", "in": "header", "required": False, "schema": {"type": "string"},
                           "description": "Act for the organisation that granted your venue a mandate."})
            op["security"] = [{"bearer": []}]
            op["description"] = f"Allowed: {r.allow.describe}."
        if params:
            op["parameters"] = params
        if r.body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": refs[(r.body, "validation")]}}}
        elif r.raw_body is not None:
            media, what = r.raw_body
            op["requestBody"] = {"required": True, "description": what,
                                 "content": {media: {"schema": {"type": "string"}}}}
        ok: dict[str, Any] = {"description": "Switching Protocols: a WebSocket of JSON messages"
                              if r.websocket else "OK"}
        if r.response is not None:
            ok["content"] = {r.media_type: {"schema": refs[(r.response, "validation")]},
                             **{media: {"schema": refs[(model, "validation")]} for media, model in r.also}}
        responses: dict[str, Any] = {str(r.status): ok}
        statuses = set(r.errors)
        if r.body or r.query or r.method == "POST":  # POST: a reused Idempotency-Key is a 422 too
            statuses.add(422)
        if r.body:
            statuses |= {400, 413, 415}
        if r.allow is not None:
            statuses |= {401, 403}
        statuses.add(503)  # any route: PostgreSQL (or Kafka, before a fresh read) away, with Retry-After
        for s in sorted(statuses):
            responses[str(s)] = {"description": "Problem", "content": problem}
        op["responses"] = responses
        paths.setdefault(path, {})[r.method.lower()] = op
    # Served by the ops module rather than declared through an Api, but a /v1 route
    # like any other: a client discovers the API from this very document.
    schemas["OpenApiDocument"] = {"type": "object", "description": "This OpenAPI 3.1 document",
                                  "required": ["openapi", "paths"]}
    paths["/v1/openapi.json"] = {"get": {
        "tags": ["ops"], "summary": "This OpenAPI document", "operationId": "ops_openapi",
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/OpenApiDocument"}}}}}}}
    schemas["Health"] = {"type": "object", "properties": {"status": {"type": "string", "const": "alive"}}}
    schemas["Readiness"] = {"type": "object", "required": ["status", "checks"], "properties": {
        "status": {"type": "string", "enum": ["ready", "unavailable", "starting"],
                   "description": "starting: the dependencies answer, this process's consumers are joining "
                                  "their groups"},
        "checks": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "postgresql, kafka, elasticsearch: ok or down: <why>"},
        "detail": {"type": "string", "description": "which dependency is not reachable, or which consumers "
                                                     "are joining"}}}
    schemas["PrometheusText"] = {"type": "string", "description": "Prometheus text exposition format"}

    def op(name: str, summary: str, responses: dict[int, tuple[str, str, str]]) -> dict:
        return {"get": {"tags": ["ops"], "summary": summary, "operationId": f"ops_{name}", "responses": {
            str(code): {"description": text, "content": {media: {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
            for code, (text, media, ref) in responses.items()}}}

    paths["/healthz"] = op("healthz", "The process is alive", {200: ("alive", "application/json", "Health")})
    paths["/readyz"] = op("readyz", "PostgreSQL, Kafka and Elasticsearch all answer, and this process's consumers "
                                    "have joined their groups", {
        200: ("ready", "application/json", "Readiness"),
        503: ("a dependency is down, or the process is starting; detail says which", "application/json",
              "Readiness")})
    paths["/metrics"] = op("metrics", "Prometheus metrics", {200: ("metrics", "text/plain", "PrometheusText")})
    schemas["AsyncApiDocument"] = {"type": "object", "description": "The AsyncAPI 3.0 document of the Kafka topics "
                                                                    "and the live WebSocket", "required": ["asyncapi"]}
    paths["/v1/asyncapi.json"] = {"get": {
        "tags": ["ops"], "summary": "The events (AsyncAPI 3.0): every Kafka topic's event types and the live WebSocket",
        "operationId": "ops_asyncapi", "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/AsyncApiDocument"}}}}}}}
    schemas["ProblemPage"] = {"type": "string", "description": "An HTML page explaining the rule in Chinese and "
                                                              "English (JSON {rule, zh, en} with Accept: application/json)"}
    paths["/v1/problems/{slug}"] = {"get": {
        "tags": ["ops"], "summary": "What a problem's rule means, in Chinese and English (a problem's type URI)",
        "operationId": "ops_problem_page",
        "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "the rule explained", "content": {
            "text/html": {"schema": {"$ref": "#/components/schemas/ProblemPage"}}}},
            "404": {"description": "Problem", "content": problem}}}}
    return _clean_names({
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    })


_QUALIFIED = re.compile(r"services__([a-z]+)__[a-z_]+__([A-Za-z0-9]+)")


def _clean_names(doc: dict[str, Any]) -> dict[str, Any]:
    """Models of the same name in two contexts (a Registration for an auction, a pledge and a
    roadshow) are qualified by pydantic with their module path; a client generator would make
    class names of that. They are named by their context instead: AuctionsRegistration."""
    renamed = {_QUALIFIED.sub(lambda m: m.group(1).capitalize() + m.group(2), name)
               for name in doc["components"]["schemas"] if _QUALIFIED.fullmatch(name)}
    text = json.dumps(doc, ensure_ascii=False)
    doc = json.loads(_QUALIFIED.sub(lambda m: m.group(1).capitalize() + m.group(2), text))
    for name in renamed:  # generators name their classes from the title
        doc["components"]["schemas"][name]["title"] = name
    return doc
