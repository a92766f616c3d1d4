# Mounted under /school/<school_id>/beheer/resultaatkoppelingen/; every view starts with the access helper.
urlpatterns: list = []
