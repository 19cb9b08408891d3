from django.urls import URLPattern, URLResolver, path

from payroll.apis import profiles

urlpatterns: list[URLPattern | URLResolver] = [
    # --- payee profiles (helper `profile`) ---
    path("me/payee-profile/", profiles.MyPayeeProfileApi.as_view(), name="api-me-payee-profile"),
    # --- end payee profiles ---
]
