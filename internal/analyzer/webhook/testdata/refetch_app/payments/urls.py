from django.urls import path

from payments import views

urlpatterns = [
    path("stripe/webhook/", views.helper_refetch),
    path("stripe/connect/", views.connect_refetch),
    path("stripe/local/", views.local_lookup),
    path("stripe/trust/", views.refetch_and_trust),
    path("stripe/store/", views.refetch_and_store),
]
