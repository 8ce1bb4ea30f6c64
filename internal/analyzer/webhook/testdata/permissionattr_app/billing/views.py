import os

from django.conf import settings
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import StripeSignature, StripeSignatureViaHelper

ACCOUNT_WEBHOOK_SECRET = getattr(settings, "ACCOUNT_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
CONNECT_WEBHOOK_SECRET = os.environ["CONNECT_WEBHOOK_SECRET"]


class StripeHookView(APIView):
    permission_classes = (StripeSignature,)
    hook_secret = None

    def post(self, request, *args, **kwargs):
        event = self.kwargs["event"]
        print(event["type"], event["data"]["object"]["id"])
        return Response(status=200)


class AccountHookView(StripeHookView):
    hook_secret = ACCOUNT_WEBHOOK_SECRET


class ConnectHookView(StripeHookView):
    hook_secret = CONNECT_WEBHOOK_SECRET


class PayoutHookView(APIView):
    permission_classes = [StripeSignatureViaHelper]
    endpoint_secret = os.environ.get("PAYOUT_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret

    def post(self, request, *args, **kwargs):
        print(self.kwargs["event"]["type"])
        return Response(status=200)


class RefundHookView(APIView):
    permission_classes = [StripeSignatureViaHelper]
    endpoint_secret = os.environ["REFUND_WEBHOOK_SECRET"]

    def post(self, request, *args, **kwargs):  # expect: clean
        print(self.kwargs["event"]["type"])
        return Response(status=200)
