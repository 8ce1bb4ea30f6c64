from pyramid.config import Configurator

from billing.views import configured_webhook


def main(global_config, **settings):
    config = Configurator(settings=settings)
    config.include("billing.services")
    config.add_route("stripe_webhook", "/stripe/webhook")
    config.add_route("legacy_webhook", "/stripe/legacy")
    config.add_route("json_webhook", "/stripe/json")
    config.add_route("class_webhook", "/stripe/class")
    config.add_route("configured_webhook", "/stripe/configured-webhook")
    config.add_view(configured_webhook, route_name="configured_webhook", request_method="POST")
    config.scan()
    return config.make_wsgi_app()
