"""The classroom: the browser demo (Solara), the class game, and playing one actor in the terminal."""
