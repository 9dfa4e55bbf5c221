enum _PlaceholderConfianzaServer {}
