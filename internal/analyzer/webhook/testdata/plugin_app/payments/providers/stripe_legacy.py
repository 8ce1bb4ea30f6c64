import json

import stripe
from django.http import HttpResponse


class LegacyStripeProvider:
    def handle_webhook(self, request):
        event = json.loads(request.body)  # expect: webhook/unverified-payload
        if event["type"] == "invoice.paid":
            print("paid", event["data"]["object"]["id"])
        return HttpResponse(status=200)
