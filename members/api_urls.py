from django.urls import path

from members import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
]
