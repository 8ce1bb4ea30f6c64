from django.urls import path

from . import views

urlpatterns = [
    path("stripe/webhook/", views.stripe_webhook),
    path("stripe/connect/events/", views.stripe_connect_webhook),
    path("stripe/legacy-webhook/", views.stripe_legacy_webhook),
    path("stripe/decorated/", views.decorated_webhook),
    path("stripe/logged/", views.logged_webhook),
    path("stripe/signed-view/", views.SignedWebhookView.as_view()),
    path("stripe/unsigned-view/", views.UnsignedWebhookView.as_view()),
    path("stripe/method-signed/", views.MethodSignedWebhookView.as_view()),
]
