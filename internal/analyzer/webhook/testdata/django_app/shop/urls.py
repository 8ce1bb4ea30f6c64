from django.urls import path

from . import api, views

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook),
    path("stripe/webhook-meta/", views.stripe_webhook_meta),
    path("payments/hook/", views.payments_hook),
    path("stripe/cbv/", views.StripeWebhookView.as_view()),
    path("stripe/cbv-verified/", views.VerifiedWebhookView.as_view()),
    path("api/stripe/", api.StripeWebhookAPIView.as_view()),
]
