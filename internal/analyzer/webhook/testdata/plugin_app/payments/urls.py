from django.urls import path

from . import views

urlpatterns = [
    path("webhooks/<str:provider>/", views.provider_webhook),
    path("webhooks-get/<str:provider>/", views.provider_webhook_get),
    path("legacy-webhooks/<str:provider>/", views.legacy_provider_webhook),
    path("plugins/<str:plugin_id>/<path:path>", views.plugin_webhook),
]
