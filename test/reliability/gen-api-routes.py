#!/usr/bin/env python3
"""Regenerates test/fixtures/engine-api-routes.json from the Engine API spec (run once by hand):
   python3 test/reliability/gen-api-routes.py ../shared/specs/docker-engine-api-v1.47.yaml
Keeps, per route and method, what the fuzzer needs: parameters (where, name, type, enum) and the
top-level fields of a JSON body with their types (refs and allOf resolved, two levels deep)."""
import json, sys, yaml

spec = yaml.safe_load(open(sys.argv[1]))

def resolve(s):
    while isinstance(s, dict) and '$ref' in s:
        s = spec['definitions'][s['$ref'].split('/')[-1]]
    return s or {}

def fields(s, depth):
    s = resolve(s)
    props = {}
    for part in s.get('allOf', []):
        props.update(fields(part, depth))
    for k, v in (s.get('properties') or {}).items():
        v = resolve(v)
        t = v.get('type') or ('object' if v.get('properties') or v.get('allOf') else 'any')
        f = {'type': t}
        if 'enum' in v: f['enum'] = v['enum']
        if t == 'array': f['items'] = resolve(v.get('items', {})).get('type', 'any')
        if t == 'object' and depth > 0:
            sub = fields(v, depth - 1)
            if sub: f['fields'] = sub
        props[k] = f
    return props

routes = []
for path, ops in spec['paths'].items():
    for method, op in ops.items():
        if method == 'parameters':
            continue
        params, body = [], None
        for p in op.get('parameters', []):
            if p['in'] == 'body':
                sch = resolve(p.get('schema', {}))
                consumes = op.get('consumes') or ['application/json']
                kind = 'json' if 'application/json' in consumes or sch.get('type') == 'object' or sch.get('properties') or sch.get('allOf') else 'raw'
                if sch.get('type') == 'string' and sch.get('format') == 'binary': kind = 'raw'
                body = {'kind': kind, 'required': bool(p.get('required')), 'fields': fields(sch, 2) if kind == 'json' else {}}
                continue
            q = {'in': p['in'], 'name': p['name'], 'type': p.get('type', 'string')}
            if 'enum' in p: q['enum'] = p['enum']
            params.append(q)
        routes.append({'method': method.upper(), 'path': path, 'params': params, 'body': body})

json.dump({'source': 'docker-engine-api-v1.47.yaml', 'routes': routes}, open('test/fixtures/engine-api-routes.json', 'w'), indent=0, sort_keys=True)
print(len(routes), 'routes')
