import hashlib
import json

from django.http import HttpResponse


def verify_paypal(request):
    return hashlib.sha256(request.body).hexdigest() == request.headers.get("Paypal-Transmission-Sig")


class PaypalProvider:
    def handle_webhook(self, request):
        if not verify_paypal(request):
            return HttpResponse(status=400)
        print(json.loads(request.body))
        return HttpResponse(status=200)
