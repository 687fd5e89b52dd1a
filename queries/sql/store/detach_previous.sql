DETACH previous;
