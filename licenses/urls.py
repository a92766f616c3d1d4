# Mounted under /school/<school_id>/beheer/licenties/; every view starts with the access helper.
urlpatterns: list = []
