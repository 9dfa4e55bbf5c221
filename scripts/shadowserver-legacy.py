#!/usr/bin/env python3
"""Writes Confianza's supplement of retired Shadowserver report types, in Shadowserver's own
schema format (the `intelmq.json` of The-Shadowserver-Foundation/report_schema).

Shadowserver's schema lists the reports it sends today. Files of retired types (botnet_drone,
microsoft_sinkhole, darknet, ddos_amplification, sinkhole_http_drone, ...) still sit in CIRTs'
archives and mailboxes; IntelMQ 3.0 was the last release to describe them, as Python tables in
intelmq/bots/parsers/shadowserver/_config.py. This script reads that file *as data* (with `ast`,
nothing is imported or run) and writes each retired type whose file name the current schema does
not know. Report types that were once in Shadowserver's schema and left it (phish_url) come from
the last revision of the schema that had them: pass that revision's intelmq.json as OLDER_JSON.

Usage: scripts/shadowserver-legacy.py INTELMQ_3_0_0_CONFIG.py CURRENT_INTELMQ_JSON [OLDER_JSON ...] > OUT.json
"""
import ast
import json
import sys

config_path, schema_path = sys.argv[1], sys.argv[2]
tree = ast.parse(open(config_path).read())
schema = json.load(open(schema_path))
current = {v["file_name"] for k, v in schema.items() if k != "_meta"}


def value(node):
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return node.id  # a conversion function, by name
    if isinstance(node, (ast.Tuple, ast.List)):
        return [value(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {value(k): value(v) for k, v in zip(node.keys, node.values)}
    raise ValueError(ast.dump(node))


tables, mapping = {}, []
for node in tree.body:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        if isinstance(node.value, ast.Dict):
            try:
                tables[name] = value(node.value)
            except ValueError:
                pass
        elif name == "mapping" and isinstance(node.value, ast.Tuple):
            for entry in node.value.elts:
                feed, file_name, table = entry.elts
                mapping.append((feed.value, file_name.value, table.id))


# Keys IntelMQ 3.0 itself no longer defines (it kept them under extra); written as extra keys here.
RENAMED = {"user_agent", "connection_count", "os.name", "os.version"}


def fields(items):
    out = []
    for item in items:
        if item[0] is False:  # "ignore this column": keep it under extra like any unmapped one
            continue
        item = list(item)
        if item[0] in RENAMED:
            item[0] = "extra." + item[0]
        out.append(item)
    return out


reports = {}
for feed, file_name, table in mapping:
    # blacklist: the current blocklist report reads these files (an alias in Confianza's settings)
    if file_name in current or file_name in reports or file_name == "blacklist":
        continue
    t = tables[table]
    reports[file_name] = {
        "feed_name": feed,
        "file_name": file_name,
        "constant_fields": t.get("constant_fields", {}),
        "required_fields": fields(t.get("required_fields", [])),
        "optional_fields": fields(t.get("optional_fields", [])),
        "url": "https://www.shadowserver.org/what-we-do/network-reporting/",
        "retired": True,
    }
for older in sys.argv[3:]:
    for key, entry in json.load(open(older)).items():
        if key != "_meta" and entry["file_name"] not in current and entry["file_name"] not in reports:
            reports[entry["file_name"]] = dict(entry, retired=True)
out = {
    "_meta": {
        "date_created": "2021-09-02T00:00:00Z",
        "change_log": [
            "Retired Shadowserver report types, from IntelMQ 3.0.0's report table (the last release that described them) and from earlier revisions of Shadowserver's schema."
        ],
    }
}
out.update(dict(sorted(reports.items())))
json.dump(out, sys.stdout, indent=1, sort_keys=False)
print()
