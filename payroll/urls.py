from django.urls import URLPattern, URLResolver, path

from payroll.views import profiles

urlpatterns: list[URLPattern | URLResolver] = [
    # --- payee profiles (helper `profile`) ---
    path("payout-details/", profiles.payee_profile_edit, name="payee_profile"),
    # --- end payee profiles ---
]
