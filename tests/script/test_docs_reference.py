#!/usr/bin/env python3
"""docs/stack-file.md documents exactly the keys of schema/stack.schema.json.

The schema's keys are grouped by where they appear: the top level, each
$defs entry, and the objects nested in them (`service.deploy.resources`,
`service.ulimits.*` for a map's values, `network.ipam.config[]` for a
list's items).  $ref is not followed: a definition is one group wherever it
is used.  The page marks each group's table with `<!-- schema: GROUP -->`;
the first column of that table lists the group's keys in backticks.

Fails, naming each, when a group has no table, a table names a group the
schema does not have, a key of the schema is not in its group's table, or a
table lists a key its group does not have.  Also checks itself on a page
with a key cut out and a key made up, so it cannot pass by matching
nothing.
"""
import json
import os
import re
import sys

SRC = os.environ.get("STACK_SRC") or os.path.join(os.path.dirname(__file__), "..", "..")
TOP = "(top level)"


def schema_groups(schema):
    groups = {}

    def walk(node, group):
        if not isinstance(node, dict):
            return
        for key, sub in node.get("properties", {}).items():
            groups.setdefault(group, set()).add(key)
            walk(sub, key if group == TOP else group + "." + key)
        for comb in ("anyOf", "oneOf", "allOf"):
            for sub in node.get(comb, []):
                walk(sub, group)
        if isinstance(node.get("items"), dict):
            walk(node["items"], group + "[]")
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], group + ".*")

    walk({"properties": schema.get("properties", {})}, TOP)
    for name, d in schema.get("$defs", {}).items():
        walk(d, name)
    return groups


MARK = re.compile(r"^<!-- schema: (.+?) -->\s*$")
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|")


def doc_groups(text):
    groups, errors = {}, []
    current, in_table = None, False
    for n, line in enumerate(text.splitlines(), 1):
        m = MARK.match(line)
        if m:
            current = m.group(1)
            if current in groups:
                errors.append(f"docs/stack-file.md:{n}: a second table for `{current}`")
            groups.setdefault(current, set())
            in_table = False
            continue
        if current is None:
            continue
        if line.startswith("|"):
            in_table = True
            r = ROW.match(line)
            if r:
                groups[current].add(r.group(1))
        elif in_table:
            current, in_table = None, False
    return groups, errors


def compare(schema, docs):
    errors = []
    for g in sorted(set(schema) - set(docs)):
        errors.append(f"schema group `{g}` has no table in docs/stack-file.md "
                      f"(add `<!-- schema: {g} -->` and a row per key: {', '.join(sorted(schema[g]))})")
    for g in sorted(set(docs) - set(schema)):
        errors.append(f"docs/stack-file.md has a table for `{g}`, which the schema does not have")
    for g in sorted(set(schema) & set(docs)):
        for k in sorted(schema[g] - docs[g]):
            errors.append(f"`{g}`: key `{k}` of the schema is not documented in docs/stack-file.md")
        for k in sorted(docs[g] - schema[g]):
            errors.append(f"`{g}`: docs/stack-file.md documents `{k}`, which the schema does not have")
    return errors


def main():
    with open(os.path.join(SRC, "schema", "stack.schema.json")) as f:
        schema = schema_groups(json.load(f))
    with open(os.path.join(SRC, "docs", "stack-file.md")) as f:
        text = f.read()
    docs, errors = doc_groups(text)
    errors += compare(schema, docs)

    # Self-check: a key cut out and a key made up are both found.
    assert "service" in docs and "image" in docs["service"], "no `image` row for `service`"
    cut = re.sub(r"^\| `image` \|.*\n", "", text.split("<!-- schema: service -->", 1)[1], count=1, flags=re.M)
    mutated = text.split("<!-- schema: service -->", 1)[0] + "<!-- schema: service -->" + cut
    mutated = mutated.replace("<!-- schema: secret -->\n| key | type | default | example |\n| --- | --- | --- | --- |\n",
                              "<!-- schema: secret -->\n| key | type | default | example |\n| --- | --- | --- | --- |\n"
                              "| `made_up` | x | x | x |\n", 1)
    found = compare(schema, doc_groups(mutated)[0])
    assert any("`service`: key `image`" in e for e in found), found
    assert any("documents `made_up`" in e for e in found), found

    n_keys = sum(len(v) for v in schema.values())
    if errors:
        for e in errors:
            print("FAIL:", e, file=sys.stderr)
        return 1
    print(f"ok: {n_keys} keys in {len(schema)} groups, all documented in docs/stack-file.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
