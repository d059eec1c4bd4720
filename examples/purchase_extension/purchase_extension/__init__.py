"""An example Connect extension built on rndi-connect-devops-fulfillment-framework."""
