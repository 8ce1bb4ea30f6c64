"""Browser-facing payment views of a DRF app. They set up the Stripe
library (stripe.api_version = …) and read the posted form, but nothing in
them handles a Stripe event (CriativoDevs/salonix-backend: the checkout view
was reported critical as an unverified webhook)."""
import json
from types import SimpleNamespace

import stripe
from django.conf import settings
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from . import stripe_utils


class CreateCheckoutSession(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):  # expect: clean
        s = stripe_utils.get_stripe()
        plan = (request.data.get("plan") or "basic").lower()
        session = s.checkout.Session.create(mode="subscription", line_items=[{"price": plan, "quantity": 1}])
        return Response({"url": session.url})


class CreatePortalSession(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request):  # expect: clean
        stripe.api_version = "2024-06-20"
        if settings.livemode:
            print("live portal")
        body = json.loads(request.body)
        portal = stripe.billing_portal.Session.create(customer=body["customer"])
        return Response({"url": portal.url, "mode": stripe_utils.checkout_mode()})


class StripeEventsView(APIView):
    # The twin: reading api_version / livemode from the posted payload is
    # a Stripe event handled without verification.
    permission_classes = []

    def post(self, request):
        evt = SimpleNamespace(**request.data)  # expect: webhook/unverified-payload
        if evt.livemode and evt.api_version:
            print("event", evt.id)
        return Response(status=200)
