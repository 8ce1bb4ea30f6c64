from rest_framework import status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .permissions import HasStripeHeader, LenientStripePermission, StripeSignatureAuthentication, StripeSignaturePermission
from .tasks import handle_stripe_event


class StripeWebhookViewSet(viewsets.GenericViewSet):
    authentication_classes = []
    permission_classes = [StripeSignaturePermission]

    def create(self, request):  # expect: clean  # observe: webhook.signature-verified webhook.fails-closed
        handle_stripe_event(request.data)
        return Response(status=status.HTTP_200_OK)


class StripeWebhookHeaderOnly(viewsets.GenericViewSet):
    authentication_classes = []
    permission_classes = [HasStripeHeader]

    def create(self, request):
        handle_stripe_event(request.data)  # expect: webhook/unverified-payload
        return Response(status=status.HTTP_200_OK)


class StripeAuthView(APIView):
    authentication_classes = (StripeSignatureAuthentication,)
    permission_classes = ()

    def post(self, request):  # expect: clean  # observe: webhook.signature-verified
        handle_stripe_event(request.data)
        return Response({"received": True})


class StripeOpenView(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def post(self, request):
        handle_stripe_event(request.data)  # expect: webhook/unverified-payload
        return Response({"received": True})


@api_view(["POST"])
@authentication_classes([])
@permission_classes([StripeSignaturePermission])
def stripe_webhook_fn(request):  # expect: clean
    handle_stripe_event(request.data)
    return Response({"received": True})


@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def stripe_webhook_open(request):
    handle_stripe_event(request.data)  # expect: webhook/unverified-payload
    return Response({"received": True})


class StripeDynamicPermissions(APIView):
    authentication_classes = []

    def get_permissions(self):
        return [StripeSignaturePermission()]

    def post(self, request):  # expect: clean
        handle_stripe_event(request.data)
        return Response({"received": True})


class StripeWebhookBase(APIView):
    authentication_classes = []
    permission_classes = [StripeSignaturePermission]


class InheritedStripeWebhook(StripeWebhookBase):
    def post(self, request):  # expect: clean
        handle_stripe_event(request.data)
        return Response({"received": True})


class OverridingStripeWebhook(StripeWebhookBase):
    permission_classes = []

    def post(self, request):
        handle_stripe_event(request.data)  # expect: webhook/unverified-payload
        return Response({"received": True})


class LenientStripeWebhook(APIView):
    authentication_classes = []
    permission_classes = [LenientStripePermission]

    def post(self, request):
        handle_stripe_event(request.data)
        return Response({"received": True})
