from django.urls import path

from . import api

urlpatterns = [
    path("permits", api.PermitListApi.as_view(), name="api-permit-list"),
    path("permits/<str:number>", api.PermitDetailApi.as_view(), name="api-permit-detail"),
    path("permits/<str:number>/shipments", api.PermitShipmentsApi.as_view(), name="api-permit-shipments"),
    path("permits/<str:number>/actions/<str:action>", api.PermitActionApi.as_view(), name="api-permit-action"),
]
