from django.http import HttpResponseNotFound
from django.views.decorators.csrf import csrf_exempt

from .plugins.manager import get_plugins_manager
from .providers import LEGACY_PROVIDERS, PROVIDERS

HANDLERS = {"stripe": "payments.providers.stripe_provider.StripeProvider"}


@csrf_exempt
def provider_webhook(request, provider):  # expect: clean
    handler = PROVIDERS[provider]()
    return handler.handle_webhook(request)  # observe: webhook.signature-verified


@csrf_exempt
def provider_webhook_get(request, provider):  # expect: clean
    cls = PROVIDERS.get(provider)
    if cls is None:
        return HttpResponseNotFound()
    return cls().handle_webhook(request)


@csrf_exempt
def legacy_provider_webhook(request, provider):
    return LEGACY_PROVIDERS[provider]().handle_webhook(request)


@csrf_exempt
def plugin_webhook(request, plugin_id, path):  # expect: clean
    manager = get_plugins_manager()
    return manager.webhook(request, plugin_id, path)  # observe: webhook.signature-verified
