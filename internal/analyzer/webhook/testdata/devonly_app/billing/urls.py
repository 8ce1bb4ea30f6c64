from django.urls import path

from . import views

urlpatterns = [
    path("stripe/testing/", views.testing_fallback),
    path("stripe/not-production/", views.not_production_first),
    path("stripe/asserted/", views.asserted_fallback),
    path("stripe/debug/", views.derived_debug),
    path("stripe/environment/", views.environment_name),
    path("stripe/allow-unsigned/", views.allow_unsigned_setting),
    path("stripe/query-flag/", views.query_flag),
    path("stripe/prod-assert/", views.production_asserted_wrongly),
    path("stripe/verified/", views.always_verified),
]
