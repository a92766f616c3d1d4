"""Licence screens: "Licenties per groep", "Licenties per kind" and the "Logboek"."""
