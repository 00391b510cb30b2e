/**
 * A small client for the GenAI chat and feedback gRPC service: {@link
 * io.github.genaifeedback.client.GenAIFeedbackClient} streams chats ({@link
 * io.github.genaifeedback.client.ChatStream}) and records feedback on their MLflow traces; every
 * failed call is a {@link io.github.genaifeedback.client.GenAIFeedbackException} with the
 * service's google.rpc error details decoded. The request and response messages are the generated
 * ones of {@code io.github.genaifeedback.v1}.
 */
package io.github.genaifeedback.client;
