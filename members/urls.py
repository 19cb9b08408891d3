from django.urls import path

from members import views

urlpatterns = [
    path("", views.home, name="home"),
    path("my-projects/", views.my_projects, name="my_projects"),
    path("work-queue/", views.work_queue_page, name="work_queue"),
    path("join/", views.membership_apply, name="membership_apply"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("healthz/", views.healthz, name="healthz"),
]
