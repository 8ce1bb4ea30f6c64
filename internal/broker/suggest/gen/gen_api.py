#!/usr/bin/env python3
"""Build internal/broker/suggest/stripe_api.txt from a stripe-python checkout.

    python3 internal/broker/suggest/gen/gen_api.py /path/to/stripe-python [COMMIT] > internal/broker/suggest/stripe_api.txt

The table maps every Stripe API call stripe-python can make to its HTTP
method and path, in both of the library's styles:

    S v1.customers.create POST /v1/customers            StripeClient services
    R Customer.modify POST /v1/customers/{id}           resource classes (stripe.Customer…)

It reads the source with Python's ast module (nothing is imported or run):
services are the `self._request("verb", "/path")` calls of each *Service
class, reached from V1Services/V2Services through their `_subservices`;
resources are the classes with an OBJECT_NAME, their explicit methods and
the methods their mixins (Createable, Listable, Updateable, Deletable,
Singleton) give them. stripe-python is MIT-licensed (Copyright (c) 2010-2018
Stripe); the table lists method names and API paths only.
"""
import ast
import os
import subprocess
import sys

ROOT = sys.argv[1]
COMMIT = sys.argv[2] if len(sys.argv) > 2 else ""
PKG = os.path.join(ROOT, "stripe")


def modname(path):
    rel = os.path.relpath(path, ROOT)[:-3]
    return rel.replace(os.sep, ".")


def parse(path):
    with open(path, encoding="utf-8") as f:
        return ast.parse(f.read(), path)


def path_of(node):
    """The path a request call passes: a literal, "...".format(...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
        return node.func.value.value
    return None


def verb_of(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.lower() in ("get", "post", "delete"):
        return node.value.upper()
    return None


# ---- services
services = {}  # (module, class) -> {"subs": {attr: (module, class)}, "methods": {name: (verb, path)}}
for dirpath, dirs, files in os.walk(PKG):
    dirs[:] = [d for d in dirs if d not in ("params", "__pycache__")]
    for fn in files:
        if not fn.endswith(".py"):
            continue
        full = os.path.join(dirpath, fn)
        if not (fn.endswith("_service.py") or fn in ("_v1_services.py", "_v2_services.py")):
            continue
        tree = parse(full)
        mod = modname(full)
        subs = {}
        for st in tree.body:
            if isinstance(st, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_subservices" for t in st.targets):
                for k, v in zip(st.value.keys, st.value.values):
                    subs[k.value] = (v.elts[0].value, v.elts[1].value)
        for st in tree.body:
            if not isinstance(st, ast.ClassDef):
                continue
            methods = {}
            for fdef in st.body:
                if not isinstance(fdef, ast.FunctionDef) or fdef.name.startswith("_"):
                    continue
                for call in ast.walk(fdef):
                    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                            and call.func.attr in ("_request", "_request_stream") and len(call.args) >= 2):
                        v, p = verb_of(call.args[0]), path_of(call.args[1])
                        if v and p:
                            methods[fdef.name] = (v, p)
                            break
            services[(mod, st.name)] = {"subs": subs, "methods": methods}

lines = set()


def walk_service(key, prefix, depth=0):
    s = services.get(key)
    if s is None or depth > 6:
        return
    for name, (v, p) in s["methods"].items():
        lines.add("S %s.%s %s %s" % (prefix, name, v, p))
    for attr, sub in s["subs"].items():
        walk_service(sub, prefix + "." + attr, depth + 1)


walk_service(("stripe._v1_services", "V1Services"), "v1")
walk_service(("stripe._v2_services", "V2Services"), "v2")

# ---- resources
MIXINS = {
    "CreateableAPIResource": [("create", "POST", "")],
    "ListableAPIResource": [("list", "GET", "")],
    "UpdateableAPIResource": [("modify", "POST", "/{id}"), ("save", "POST", "/{id}")],
    "DeletableAPIResource": [("delete", "DELETE", "/{id}")],
}


def base_names(cls):
    out = []
    for b in cls.bases:
        if isinstance(b, ast.Subscript):
            b = b.value
        if isinstance(b, ast.Name):
            out.append(b.id)
        elif isinstance(b, ast.Attribute):
            out.append(b.attr)
    return out


def object_name(cls):
    for st in cls.body:
        target = None
        if isinstance(st, ast.AnnAssign):
            target, value = st.target, st.value
        elif isinstance(st, ast.Assign) and len(st.targets) == 1:
            target, value = st.targets[0], st.value
        if isinstance(target, ast.Name) and target.id == "OBJECT_NAME" and isinstance(value, ast.Constant):
            return value.value
    return None


def request_of(fdef, class_url, instance_url):
    """(verb, path) of the first API request a resource method makes."""
    assigns = {}
    for n in ast.walk(fdef):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            assigns[n.targets[0].id] = n.value

    def resolve(e, depth=0):
        if depth > 3:
            return None
        p = path_of(e)
        if p is not None:
            return p
        if isinstance(e, ast.Name) and e.id in assigns:
            return resolve(assigns[e.id], depth + 1)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            if e.func.attr == "class_url":
                return class_url
            if e.func.attr in ("instance_url", "_build_instance_url"):
                return instance_url
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod) and isinstance(e.left, ast.Constant):
            # "%s/%s" % (cls.class_url(), sanitize_id(id))
            fmt = e.left.value
            if fmt.startswith("%s/") and isinstance(e.right, ast.Tuple) and e.right.elts:
                head = resolve(e.right.elts[0], depth + 1)
                if head:
                    rest = fmt[2:]
                    for _ in e.right.elts[1:]:
                        rest = rest.replace("%s", "{id}", 1)
                    return head + rest
        return None

    for n in ast.walk(fdef):
        if not isinstance(n, ast.Call) or not isinstance(n.func, ast.Attribute):
            continue
        attr = n.func.attr
        if attr in ("_static_request", "_request", "_request_and_refresh", "_static_request_stream",
                    "_request_stream") and len(n.args) >= 2:
            v, p = verb_of(n.args[0]), resolve(n.args[1])
            if v and p:
                return v, p
        if attr == "_search":
            for kw in n.keywords:
                if kw.arg == "search_url":
                    p = resolve(kw.value)
                    if p:
                        return "GET", p
        if attr == "refresh":
            return "GET", instance_url
    return None


for dirpath, dirs, files in os.walk(PKG):
    dirs[:] = [d for d in dirs if d not in ("params", "__pycache__")]
    for fn in files:
        if not fn.endswith(".py") or fn.endswith("_service.py") or not fn.startswith("_"):
            continue
        full = os.path.join(dirpath, fn)
        tree = parse(full)
        pkg = os.path.relpath(dirpath, PKG)
        prefix = "" if pkg == "." else pkg.replace(os.sep, ".") + "."
        for cls in tree.body:
            if not isinstance(cls, ast.ClassDef):
                continue
            obj = object_name(cls)
            if obj is None:
                continue
            bases = base_names(cls)
            singleton = "SingletonAPIResource" in bases
            class_url = "/v1/" + obj.replace(".", "/") + ("" if singleton else "s")
            name = prefix + cls.name
            defined = {}

            def collect(body, qual, cu):
                for fdef in body:
                    if isinstance(fdef, ast.ClassDef) and fdef.name == "TestHelpers":
                        collect(fdef.body, qual + ".TestHelpers", cu)
                    if not isinstance(fdef, ast.FunctionDef):
                        continue
                    mname = fdef.name
                    if mname.startswith("_cls_"):
                        mname = mname[5:]
                    elif mname.startswith("_"):
                        continue
                    r = request_of(fdef, cu, cu if singleton else cu + "/{id}")
                    if r:
                        defined[qual + "." + mname] = r

            collect(cls.body, name, class_url)
            if not any(b.endswith("APIResource") for b in bases) and not defined:
                continue
            for b in bases:
                for mname, v, suffix in MIXINS.get(b, []):
                    defined.setdefault(name + "." + mname, (v, class_url + suffix))
            if any(b.endswith("APIResource") for b in bases):
                if singleton:
                    defined.setdefault(name + ".retrieve", ("GET", class_url))
                else:
                    defined.setdefault(name + ".retrieve", ("GET", class_url + "/{id}"))
            for k, (v, p) in defined.items():
                lines.add("R %s %s %s" % (k, v, p))

commit = COMMIT
if not commit:
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
print("# Stripe API calls of stripe-python, by method name -> HTTP method and path.")
print("# Generated by internal/broker/suggest/gen/gen_api.py from github.com/stripe/stripe-python %s" % (commit or "(unknown commit)"))
print("# stripe-python is MIT-licensed, Copyright (c) 2010-2018 Stripe (stripe.com); this table holds")
print("# method names and API paths derived from it. Do not edit: regenerate.")
for l in sorted(lines):
    print(l)
