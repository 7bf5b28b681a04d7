#!/usr/bin/env python3
"""Cuts a standalone, strict JSON schema for one Kubernetes kind out of the API's swagger.json.

Usage: extract-k8s-schema.py SWAGGER_JSON DEFINITION OUT_JSON
  e.g. extract-k8s-schema.py swagger.json.unprocessed io.k8s.api.batch.v1.Job job-batch-v1.json

What it does (the same steps as kubeconform's openapi2jsonschema in strict mode):
- keeps DEFINITION and every definition it reaches through $ref, under "definitions";
- IntOrString becomes string-or-integer and Quantity string-or-number (swagger says "string");
- every object schema that lists properties gets "additionalProperties": false, so a misspelt
  field is an error, as `kubectl apply --validate=strict` makes it;
- apiVersion and kind of the root are pinned to the kind's group, version and kind;
- descriptions and x-kubernetes-* annotations are dropped (they do not validate anything).
"""
import json
import sys

OPEN_TYPES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
        "oneOf": [{"type": "string"}, {"type": "integer"}]
    },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {
        "oneOf": [{"type": "string"}, {"type": "number"}]
    },
}


def refs(node, found):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                found.add(value.rsplit("/", 1)[-1])
            else:
                refs(value, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, found)


def clean(node):
    if isinstance(node, list):
        return [clean(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "description" and isinstance(value, str) or key.startswith("x-kubernetes-"):
            continue
        out[key] = value if key in ("enum", "required") else clean(value)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def main(swagger_path, root, out_path):
    with open(swagger_path) as f:
        definitions = json.load(f)["definitions"]
    kept, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        kept.add(name)
        found = set()
        refs(definitions[name], found)
        todo.extend(found)
    gvk = definitions[root]["x-kubernetes-group-version-kind"][0]
    api_version = f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]
    schema_defs = {}
    for name in sorted(kept):
        schema_defs[name] = OPEN_TYPES.get(name) or clean(definitions[name])
    props = schema_defs[root]["properties"]
    props["apiVersion"] = {"type": "string", "enum": [api_version]}
    props["kind"] = {"type": "string", "enum": [gvk["kind"]]}
    schema_defs[root]["required"] = sorted(set(schema_defs[root].get("required", [])) | {"apiVersion", "kind"})
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$ref": f"#/definitions/{root}",
        "definitions": schema_defs,
    }
    with open(out_path, "w") as f:
        json.dump(schema, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
