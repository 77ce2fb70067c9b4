from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    # Public: printed on certificates, so the address never changes.
    path("verify/<str:number>/", views.permit_verify_view, name="verify"),
    path("permits/", views.permit_register_view, name="register"),
    path("permits/register.csv", views.permit_register_csv, name="register-csv"),
    path("permits/<str:number>/", views.permit_detail_view, name="detail"),
    path("permits/<str:number>/certificate.pdf", views.permit_certificate_view, name="certificate"),
    path("permits/<str:number>/shipments/new/", views.shipment_new_view, name="shipment-new"),
    path("permits/<str:number>/actions/<str:action>/", views.permit_action_view, name="action"),
    path("permits/<str:number>/amend/", views.permit_amend_view, name="amend"),
]
