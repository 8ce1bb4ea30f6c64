from django.urls import path

from . import views

urlpatterns = [
    path("stripe/get-or-create/", views.get_or_create_first),
    path("stripe/exists/", views.exists_check),
    path("stripe/membership/", views.membership),
    path("stripe/helper/", views.helper_check),
    path("stripe/sql/", views.sql_insert),
    path("stripe/record-after/", views.record_after),
    path("stripe/no-record/", views.no_record),
    path("stripe/only-logs/", views.only_logs),
]
