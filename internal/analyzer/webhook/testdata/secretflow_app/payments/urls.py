from django.urls import path

from . import views

urlpatterns = [
    path("stripe/parse/", views.hook_parse),
    path("stripe/endpoint/", views.hook_endpoint),
    path("stripe/strict/", views.hook_strict),
    path("stripe/connect/", views.hook_connect),
    path("stripe/connect-wrapped/", views.hook_connect_wrapped),
    path("stripe/connect-strict/", views.hook_connect_strict),
    path("stripe/object/", views.hook_object),
    path("stripe/debug-object/", views.hook_debug_object),
    path("stripe/envelope/", views.hook_envelope),
    path("stripe/copied/", views.hook_copied),
    path("stripe/configured/", views.hook_configured),
    path("stripe/stored/", views.hook_stored),
    path("stripe/endpoints/<int:pk>/", views.hook_endpoint_model),
    path("stripe/validator/", views.hook_validator),
    path("stripe/strict-validator/", views.hook_strict_validator),
    path("stripe/check/", views.hook_check),
    path("stripe/skippable/", views.hook_skippable),
]
