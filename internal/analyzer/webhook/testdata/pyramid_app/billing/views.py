import stripe
from pyramid.httpexceptions import HTTPBadRequest
from pyramid.response import Response
from pyramid.view import view_config, view_defaults

from .services import DirectService, ILegacyWebhooks, IStripeWebhooks


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@view_config(route_name="stripe_webhook", request_method="POST", renderer="json")
def stripe_webhook(request):  # expect: clean
    service = request.find_service(IStripeWebhooks)
    try:
        event = service.parse(request)  # observe: webhook.signature-verified
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPBadRequest()
    fulfil(event)
    return {"ok": True}


@view_config(route_name="legacy_webhook", request_method="POST", renderer="json")
def legacy_webhook(request):
    event = request.find_service(ILegacyWebhooks).parse(request)
    fulfil(event)
    return {"ok": True}


@view_config(route_name="json_webhook", request_method="POST", renderer="json")
def json_webhook(request):
    event = request.json_body  # expect: webhook/unverified-payload
    fulfil(event)
    return {"ok": True}


@view_defaults(route_name="class_webhook", renderer="json")
class StripeWebhookViews:
    def __init__(self, request):
        self.request = request
        self.service = DirectService(request)

    @view_config(request_method="POST")
    def post(self):  # expect: clean
        try:
            event = self.service.event()  # observe: webhook.signature-verified
        except (ValueError, stripe.error.SignatureVerificationError):
            return Response(status=400)
        fulfil(event)
        return {"ok": True}


def configured_webhook(request):
    fulfil(request.json_body)  # expect: webhook/unverified-payload
    return Response("ok")
