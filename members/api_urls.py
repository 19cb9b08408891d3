from django.urls import path

from members import apis

urlpatterns = [
    path("auth/token/", apis.TokenObtainApi.as_view(), name="api-token"),
    path("auth/tokens/", apis.ApiTokenListApi.as_view(), name="api-token-list"),
    path("auth/tokens/<int:token_id>/", apis.ApiTokenRevokeApi.as_view(), name="api-token-revoke"),
    path("me/", apis.MeApi.as_view(), name="api-me"),
]
