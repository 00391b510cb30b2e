from genaifeedback.service.server import main

main()
