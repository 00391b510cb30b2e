from genaifeedback.service.process.main import main

if __name__ == "__main__":  # spawned workers import this module again: they must not start a server
    main()
