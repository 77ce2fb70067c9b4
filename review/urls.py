from django.urls import path

from . import views

app_name = "review"

urlpatterns = [
    path("", views.home, name="home"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("routing/", views.routing_rules, name="routing"),
    path("routing/<int:pk>/", views.routing_rule_edit, name="routing-edit"),
    path("routing/<int:pk>/active/", views.routing_rule_active, name="routing-active"),
    path("cases/<str:reference>/claim/", views.claim, name="claim"),
    path("cases/<str:reference>/release/", views.release, name="release"),
    path("cases/<str:reference>/reassign/", views.reassign, name="reassign"),
    path("cases/<str:reference>/recommend/", views.recommend, name="recommend"),
    path("cases/<str:reference>/countersign/", views.countersign, name="countersign"),
    path("cases/<str:reference>/close/", views.close, name="close"),
    path("cases/<str:reference>/notes/", views.note_add, name="note-add"),
]
