import importlib


def get_gateway(name):
    module = importlib.import_module("billing.providers." + name)
    return module.Gateway()
